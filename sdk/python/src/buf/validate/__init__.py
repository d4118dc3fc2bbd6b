"""Generated from third_party/protovalidate by scripts/generate. DO NOT EDIT."""
