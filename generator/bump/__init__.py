"""``python -m generator bump``: a Kubernetes version bump as one CI step.

fetch the new release's spec -> check its version -> regenerate the package ->
self-check it (imports, fixtures round trip, mypy --strict) -> API change report
(Markdown and JSON) -> sdist and wheel, built reproducibly. One module per step;
pipeline.py runs them in order and turns the outcome into an exit code.
"""
