"""Generated from conformance/proto by scripts/generate. DO NOT EDIT."""
