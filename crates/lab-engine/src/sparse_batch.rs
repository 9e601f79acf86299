//! A model's input batch, dense or sparse, and the first Dense layer's product with a sparse
//! one. An IMDB review has ~100–150 non-zero TF-IDF features of 10,000: densified, a batch of
//! 512 is a [512, 10,000] × [10,000, units] matmul, nearly all of it multiplying zeros. Here
//! the batch stays as its non-zero entries and the product is
//! `Σₖ values[k] · kernel[col[k], :]` into row `row[k]`: the kernel's rows at the batch's
//! columns (`select`), scaled by the values, summed per row (`select_assign` with `Add`).
//! Both are plain burn tensor ops with autodiff, so the same code runs on every backend
//! (ndarray, flex, WebGPU), and the kernel's gradient costs what the forward pass does: only
//! the rows of the batch's columns get one.
//!
//! The work is then memory traffic more than arithmetic: forward and backward each gather,
//! scale and scatter an `[entries, units]` block (~61,000 × 128 floats, 31 MB, at batch 512),
//! so natively an IMDB epoch is about 2× faster than densified on flex and 1.3× on ndarray
//! (`lab bench`), whose row gathers are slow; in the browser the dense matmul it replaces was
//! much slower still. On WebGPU, burn's `select_assign` walks the entries serially for each
//! unit; it is correct there but not known to be faster than the dense product.

use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};
use lab_data::SparseRows;

/// A batch of model inputs `[rows, features]`.
#[derive(Clone, Debug)]
// One batch a step, moved once: boxing the tensor (large on wasm) would gain nothing.
#[allow(clippy::large_enum_variant)]
pub enum Batch {
    /// Dense rows (images, or any dense features).
    Dense(Tensor<2>),
    /// Sparse rows, kept as their non-zero entries until the model uses them.
    Sparse(SparseBatch),
}

impl Batch {
    /// The batch as dense rows `[rows, features]` (a sparse batch densified).
    pub fn into_dense(self) -> Tensor<2> {
        match self {
            Batch::Dense(x) => x,
            Batch::Sparse(s) => s.to_dense(),
        }
    }

    /// `[rows, features]`.
    pub fn dims(&self) -> [usize; 2] {
        match self {
            Batch::Dense(x) => x.dims(),
            Batch::Sparse(s) => s.dims(),
        }
    }
}

/// Some rows of a sparse matrix (CSR, as the vectorizer wrote them), for a `device`.
#[derive(Clone, Debug)]
pub struct SparseBatch {
    rows: SparseRows,
    device: Device,
}

impl SparseBatch {
    /// The rows `indices` of `matrix`, in that order, for inputs on `device`.
    pub fn new(matrix: &SparseRows, indices: &[usize], device: &Device) -> Self {
        Self {
            rows: matrix.select(indices),
            device: device.clone(),
        }
    }

    /// `[rows, features]`.
    pub fn dims(&self) -> [usize; 2] {
        [self.rows.len(), self.rows.n_cols]
    }

    /// The rows densified, `[rows, features]` on the batch's device: what a model whose first
    /// layer is not Dense (a Dropout on the inputs) gets.
    pub fn to_dense(&self) -> Tensor<2> {
        let all: Vec<usize> = (0..self.rows.len()).collect();
        let mut x = Vec::new();
        self.rows.densify_into(&all, &mut x);
        Tensor::from_data(TensorData::new(x, self.dims()), &self.device)
    }

    /// The product `[rows, units]` of the rows with `kernel` (`[features, units]`), as
    /// `self.to_dense().matmul(kernel)` gives it but computed from the non-zero entries only.
    ///
    /// # Panics
    /// If `kernel` does not have one row per feature (a caller's bug).
    pub fn matmul(&self, kernel: Tensor<2>) -> Tensor<2> {
        let [features, units] = kernel.dims();
        assert_eq!(features, self.rows.n_cols, "one kernel row per feature");
        let rows = self.rows.len();
        let nnz = self.rows.nnz();
        if nnz == 0 {
            // No entries: nothing to gather (and no zero-length tensors for the backends).
            return Tensor::zeros([rows, units], &self.device);
        }
        let (row_of, columns, values) = self.by_column();
        let int =
            |v: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(v, [nnz]), &self.device);
        let values = Tensor::<2>::from_data(TensorData::new(values, [nnz, 1]), &self.device);
        // [nnz, units]: entry k's value times the kernel's row for its column.
        let terms = kernel.select(0, int(columns)) * values;
        Tensor::zeros([rows, units], &self.device).select_assign(
            0,
            int(row_of),
            terms,
            IndexingUpdateOp::Add,
        )
    }
}

impl SparseBatch {
    /// The entries as `(row, column, value)` columns, ordered by column (a counting sort):
    /// the kernel's rows are then read, and their gradients written, in memory order.
    fn by_column(&self) -> (Vec<i64>, Vec<i64>, Vec<f32>) {
        let m = &self.rows;
        let mut start = vec![0usize; m.n_cols + 1];
        for &c in &m.indices {
            start[c as usize + 1] += 1;
        }
        for c in 0..m.n_cols {
            start[c + 1] += start[c];
        }
        let nnz = m.nnz();
        let (mut rows, mut cols, mut vals) = (vec![0i64; nnz], vec![0i64; nnz], vec![0f32; nnz]);
        for r in 0..m.len() {
            let (c, v) = m.row(r);
            for (&c, &v) in c.iter().zip(v) {
                let at = &mut start[c as usize];
                rows[*at] = r as i64;
                cols[*at] = c as i64;
                vals[*at] = v;
                *at += 1;
            }
        }
        (rows, cols, vals)
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec_as::<f32>().unwrap()
    }

    /// 12 rows of 40 features, ~1 in 6 non-zero, one row empty.
    fn random_rows(seed: u64) -> SparseRows {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut m = SparseRows::new(40);
        for r in 0..12 {
            let mut entries = Vec::new();
            for c in 0..40u32 {
                if r != 5 && rng.random_bool(1.0 / 6.0) {
                    entries.push((c, rng.random_range(-1.0f32..1.0)));
                }
            }
            m.push_row(&mut entries);
        }
        m
    }

    fn assert_close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < 1e-5, "{what}[{i}]: {x} vs {y}");
        }
    }

    fn check_on(device: Device) {
        let m = random_rows(3);
        let picked = [11, 0, 5, 7, 3, 3];
        let batch = SparseBatch::new(&m, &picked, &device);
        assert_eq!(batch.dims(), [6, 40]);
        device.seed(9);
        let kernel = Tensor::<2>::random([40, 7], Distribution::Normal(0.0, 1.0), &device);
        let upstream = Tensor::<2>::random([6, 7], Distribution::Normal(0.0, 1.0), &device);

        let k_sparse = kernel.clone().require_grad();
        let y_sparse = batch.matmul(k_sparse.clone());
        let g_sparse = (y_sparse.clone() * upstream.clone()).sum().backward();
        let k_dense = kernel.require_grad();
        let y_dense = batch.to_dense().matmul(k_dense.clone());
        let g_dense = (y_dense.clone() * upstream).sum().backward();

        assert_close(
            &values(y_sparse.inner()),
            &values(y_dense.inner()),
            "forward",
        );
        let grad = |k: &Tensor<2>, g| values(k.grad(g).expect("the kernel has a gradient"));
        assert_close(
            &grad(&k_sparse, &g_sparse),
            &grad(&k_dense, &g_dense),
            "kernel gradient",
        );
    }

    #[test]
    fn the_sparse_product_equals_the_dense_one_with_its_gradient() {
        check_on(Device::flex().autodiff());
        #[allow(deprecated)] // burn 0.22 deprecates ndarray; the browser's MLPs still use it
        check_on(Device::ndarray().autodiff());
    }

    #[test]
    fn densified_rows_are_the_rows() {
        let m = random_rows(4);
        let batch = Batch::Sparse(SparseBatch::new(&m, &[2, 9], &Device::flex()));
        assert_eq!(batch.dims(), [2, 40]);
        let mut expected = Vec::new();
        m.densify_into(&[2, 9], &mut expected);
        assert_eq!(values(batch.into_dense()), expected);
    }

    #[test]
    fn a_batch_without_entries_gives_zeros() {
        let mut m = SparseRows::new(3);
        m.push_row(&mut []);
        m.push_row(&mut []);
        let device = Device::flex();
        let kernel = Tensor::<2>::ones([3, 2], &device);
        let y = SparseBatch::new(&m, &[0, 1], &device).matmul(kernel);
        assert_eq!(values(y), [0.0; 4]);
    }
}
