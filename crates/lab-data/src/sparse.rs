//! Documents as sparse rows (scikit-learn's CSR layout): what a vectorizer produces and what the
//! engine turns into dense batches on the fly. 25,000 reviews × 10,000 features would be 1 GB as
//! dense floats; as rows of their non-zero entries they are a few MB.

/// Rows of a sparse matrix in compressed sparse row form: row `r`'s entries are
/// `indices[indptr[r]..indptr[r + 1]]` (column numbers, increasing) with `values` beside them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SparseRows {
    /// The number of columns (features).
    pub n_cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseRows {
    /// No rows, `n_cols` columns.
    pub fn new(n_cols: usize) -> Self {
        Self {
            n_cols,
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of stored (non-zero) entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Appends a row from its `(column, value)` entries, sorted by column here.
    ///
    /// # Panics
    /// If a column is `>= n_cols` (a vectorizer bug, not bad input).
    pub fn push_row(&mut self, entries: &mut [(u32, f32)]) {
        entries.sort_unstable_by_key(|&(c, _)| c);
        for &(c, v) in entries.iter() {
            assert!((c as usize) < self.n_cols, "column {c} of {}", self.n_cols);
            self.indices.push(c);
            self.values.push(v);
        }
        self.indptr.push(self.indices.len());
    }

    /// Row `r`'s columns and values.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// The rows at `rows`, in that order, as a new matrix.
    pub fn select(&self, rows: &[usize]) -> Self {
        let mut out = Self::new(self.n_cols);
        for &r in rows {
            let (c, v) = self.row(r);
            out.indices.extend_from_slice(c);
            out.values.extend_from_slice(v);
            out.indptr.push(out.indices.len());
        }
        out
    }

    /// The rows at `rows` as one dense row-major block `[rows.len(), n_cols]`, written into
    /// `out` (cleared first, so a caller can reuse its buffer batch after batch).
    pub fn densify_into(&self, rows: &[usize], out: &mut Vec<f32>) {
        out.clear();
        out.resize(rows.len() * self.n_cols, 0.0);
        for (i, &r) in rows.iter().enumerate() {
            let base = i * self.n_cols;
            let (c, v) = self.row(r);
            for (&c, &v) in c.iter().zip(v) {
                out[base + c as usize] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> SparseRows {
        let mut m = SparseRows::new(4);
        m.push_row(&mut [(3, 0.5), (0, 1.0)]);
        m.push_row(&mut []);
        m.push_row(&mut [(2, 2.0)]);
        m
    }

    #[test]
    fn rows_keep_sorted_entries() {
        let m = m();
        assert_eq!(m.len(), 3);
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.row(0), (&[0u32, 3][..], &[1.0f32, 0.5][..]));
        assert_eq!(m.row(1).0.len(), 0);
    }

    #[test]
    fn select_and_densify_pick_rows_in_order() {
        let m = m();
        let s = m.select(&[2, 0]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.row(0), (&[2u32][..], &[2.0f32][..]));
        let mut out = vec![9.0; 3];
        m.densify_into(&[2, 1, 0], &mut out);
        assert_eq!(
            out,
            vec![0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.5]
        );
    }
}
