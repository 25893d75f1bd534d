"""The asyncio client (``pip install kubeclient[async]``).

In a generated package this module is rendered from templates/aio/__init__.py.jinja
(it names the generated AsyncClientSet); the runtime modules beside it are copied.
"""
