# fx runtime shim for Python, entry point: `python3 $LAMBDA_RUNTIME_DIR/bootstrap.py`.
# The code lives in _fx_runtime.py because Python caches the bytecode of an imported module
# (in __pycache__ next to it) but recompiles a script on every start: ~4 ms of a cold start.
# The guard keeps multiprocessing's spawn children (which re-import __main__) off the API.
if __name__ == '__main__':
    import _fx_runtime

    _fx_runtime.run()
