"""Which Kubernetes version a vcluster may be upgraded to: one minor version
at a time, or a newer patch of the same minor, as Kubernetes itself allows
for a control plane (its version skew policy); never down."""

from __future__ import annotations

from collections.abc import Sequence

from openvcluster_server.errors import ApiError, failed_precondition


def _parts(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) of a valid version; a minor version alone counts as patch 0."""
    numbers = [int(n) for n in version.split(".")]
    return numbers[0], numbers[1], numbers[2] if len(numbers) > 2 else 0


def same_version(a: str, b: str) -> bool:
    """Whether two valid versions name the same release ("1.31" and "1.31.0" do)."""
    return _parts(a) == _parts(b)


def next_minor(current: str, supported: Sequence[str]) -> str | None:
    """The supported minor version after ``current``'s, if there is one."""
    major, minor, _ = _parts(current)
    following = f"{major}.{minor + 1}"
    return following if following in supported else None


def upgrade_refusal(
    namespace: str, name: str, current: str, requested: str, supported: Sequence[str]
) -> ApiError | None:
    """FAILED_PRECONDITION (reason UPGRADE_NOT_ALLOWED) unless ``current`` may
    become ``requested``; None when it may. Both are valid versions, and
    ``requested`` a supported one, and a different one (see same_version)."""
    have, want = _parts(current), _parts(requested)
    same_minor = have[:2] == want[:2]
    if (same_minor and want[2] > have[2]) or want[:2] == (have[0], have[1] + 1):
        return None
    following = next_minor(current, supported)
    ways = f"a newer patch of {have[0]}.{have[1]}" + (f" or {following}" if following else "")
    why = "a downgrade" if want < have else "more than one minor version at a time"
    return failed_precondition(
        f"cannot upgrade vcluster {namespace}/{name} from {current} to {requested}: that is "
        f"{why}; it can go to {ways}",
        reason="UPGRADE_NOT_ALLOWED",
        metadata={"current": current, "requested": requested, "allowed": following or ""},
    )
