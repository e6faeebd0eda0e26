# Sourced by the regenerate scripts: stop before any run when the `react-bench` command is missing
# (the venv not activated), rather than let every job fail on its own.
if ! command -v react-bench >/dev/null 2>&1; then
    echo "react-bench: command not found. Activate the environment the README installs into" \
         "(. .venv/bin/activate), then run this script again." >&2
    exit 1
fi
