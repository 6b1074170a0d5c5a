"""dockyard's benchmark harness: dockyard vs the seed's Dockerfile vs uv's recommended recipe.

Run it with `make bench`; it writes BENCHMARKS.md and bench/results.json.
"""
