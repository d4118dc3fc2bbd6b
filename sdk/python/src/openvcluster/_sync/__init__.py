"""Client and its wait loops, written from openvcluster/_async by
scripts/write_sync_client.py. DO NOT EDIT."""
