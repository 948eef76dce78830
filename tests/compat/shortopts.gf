# opts: --short-options
