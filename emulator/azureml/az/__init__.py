"""The only layer that knows argv and stdout: the command line parsed like the Azure CLI, one module
per command group, and the result rendered with `--query` and `-o`."""
