"""RQ jobs: importable functions that take ids and plain JSON and own one transaction each."""
