"""The asynchronous client and its wait loops: the source of the synchronous ones.

``scripts/write_sync_client.py`` (run by ``scripts/generate``) writes ``openvcluster/_sync``
from these modules, so Client and AsyncClient cannot drift: change the code
here and regenerate.
"""
