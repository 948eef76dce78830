# opts: --long-options
