"""Generated from proto/openvcluster/v1 by scripts/generate. DO NOT EDIT."""
