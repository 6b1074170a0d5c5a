"""Parsers for a hand-rolled Docker setup: requirements, Dockerfile, compose, run scripts."""

from __future__ import annotations

from dockyard.adopt.legacy import (
    RequirementLine,
    parse_compose,
    parse_dockerfile,
    parse_requirements,
    parse_run_script,
    pip_installs,
)


def test_requirements_keep_comments_and_set_aside_what_is_not_a_requirement() -> None:
    lines, odd = parse_requirements(
        "# base packages\n\nsqlalchemy>=2.0  # ORM\n# psycopg2\n-r other.txt\n"
        "git+https://example.invalid/x.git\nlol-dto>=0.1a10\n"
    )
    assert lines == [
        RequirementLine(None, "base packages"),
        RequirementLine("sqlalchemy>=2.0", "ORM"),
        RequirementLine(None, "psycopg2"),
        RequirementLine("lol-dto>=0.1a10"),
    ]
    assert odd == ["-r other.txt", "git+https://example.invalid/x.git"]


DOCKERFILE = """\
# base
FROM python:latest AS env
COPY requirements_base.txt /
RUN pip install -r /requirements_base.txt
ENV PYTHONPATH "${PYTHONPATH}:/app"

FROM env as app_dev
RUN pip install \\
    pytest \\
    python-dotenv

FROM env as app_prod
COPY /app_pkg/ ./app_pkg/
EXPOSE 8000
CMD [ "/bin/bash", "/app/run_app.sh" ]
"""


def test_dockerfile_stages_commands_and_continuations() -> None:
    stages = parse_dockerfile(DOCKERFILE)
    assert [(s.base, s.name) for s in stages] == [
        ("python:latest", "env"),
        ("env", "app_dev"),
        ("env", "app_prod"),
    ]
    assert stages[0].env == {"PYTHONPATH": "${PYTHONPATH}:/app"}
    assert pip_installs(stages[1].runs[0]) == (["pytest", "python-dotenv"], [])
    assert pip_installs(stages[0].runs[0]) == ([], ["/requirements_base.txt"])
    assert stages[2].cmd == ["/bin/bash", "/app/run_app.sh"]
    assert stages[2].copies == [(["/app_pkg/"], "./app_pkg/")]
    assert parse_dockerfile("FROM x\nCMD python main.py\n")[0].cmd == ["python", "main.py"]
    assert parse_dockerfile("FROM x\nCMD cd /app && ./go\n")[0].cmd == [
        "/bin/sh",
        "-c",
        "cd /app && ./go",
    ]


def test_pip_installs_skip_options_and_other_commands() -> None:
    run = "apt-get update && pip install --no-cache-dir -i https://idx.invalid/simple a b==1"
    assert pip_installs(run) == (["a", "b==1"], [])


def test_compose_short_and_long_volumes_env_files_and_ports() -> None:
    services = parse_compose(
        """
services:
  parser:
    image: REGISTRY_URL/lol_data:parser_prod
    env_file:
      - env/aws_parser.env
    volumes:
    - type: bind
      source: ./logs
      target: /app/logs
    - data:/data
  api_dev:
    build: {context: ., target: api_dev}
    env_file: env/dev.env
    ports: ["8000:8000"]
    environment: [A=1, B]
    volumes: ["./cfg:/etc/cfg:ro"]
"""
    )
    parser, api = services
    assert parser.env_files == ["env/aws_parser.env"]
    assert parser.binds == [("./logs", "/app/logs")] and parser.named == ["data:/data"]
    assert (api.target, api.env_files, api.ports) == ("api_dev", ["env/dev.env"], ["8000:8000"])
    assert api.environment == {"A": "1", "B": ""}
    assert api.binds == [("./cfg", "/etc/cfg")]


def test_run_script_command_exports_and_what_is_left_out() -> None:
    script = parse_run_script(
        "#!/bin/bash\nset -e\ncd /app\nexport INTERVAL=30\n"
        "mkdir -p logs && touch logs/x\nexec python3 -m parser --loop\n"
    )
    assert script.command == ["python3", "-m", "parser", "--loop"]
    assert script.environment == {"INTERVAL": "30"}
    assert script.workdir == "/app"
    assert script.unmapped == ["mkdir -p logs && touch logs/x"]


def test_pip_compile_output_drops_hashes() -> None:
    lines, odd = parse_requirements("idna==3.7 \\\n    --hash=sha256:ab12\n")
    assert (lines, odd) == ([RequirementLine("idna==3.7")], [])
