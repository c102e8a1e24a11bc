"""Online serving: scoring servers behind one backend protocol (a process from an isolated
virtualenv, or a container of an inference image), the images they run (Docker daemon, base images,
Dockerfile lint, build contexts and `az ml model package`), online endpoints and their front, and
online deployments."""
