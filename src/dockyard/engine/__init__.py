"""The only code that runs external tools: docker (engine, buildx, compose), uv, debootstrap."""
