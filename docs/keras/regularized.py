"""Seed 004's regularized Fashion-MNIST model in Keras itself, on the IDX files that
`cargo xtask data` writes: the reference for `configs/regularized.json`.

    python -m venv v && v/bin/pip install keras jax numpy
    KERAS_BACKEND=jax v/bin/python docs/keras/regularized.py SEED
"""
import gzip, numpy as np, sys, os
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras
from keras import layers, regularizers
d = os.path.join(os.path.dirname(__file__), "../../static/data/fashion-mnist/")
def imgs(n): 
    b = gzip.open(d+n).read(); return np.frombuffer(b, np.uint8, offset=16).reshape(-1, 784).astype("float32")/255
def labs(n):
    b = gzip.open(d+n).read(); return np.frombuffer(b, np.uint8, offset=8).astype("int64")
xtr, ytr = imgs("train-images-idx3-ubyte.gz"), labs("train-labels-idx1-ubyte.gz")
xte, yte = imgs("t10k-images-idx3-ubyte.gz"), labs("t10k-labels-idx1-ubyte.gz")
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
keras.utils.set_random_seed(seed)
m = keras.Sequential([layers.Input((784,)),
    layers.Dense(256, activation='relu', kernel_regularizer=regularizers.l2(0.001)), layers.Dropout(0.5),
    layers.Dense(128, activation='relu', kernel_regularizer=regularizers.l2(0.001)), layers.Dropout(0.5),
    layers.Dense(10, activation='softmax')])
m.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
h = m.fit(xtr, ytr, validation_split=0.2, epochs=15, batch_size=512, verbose=0)
print("seed", seed, "val_acc", [round(v,4) for v in h.history['val_accuracy']])
print("seed", seed, "test", m.evaluate(xte, yte, verbose=0))
