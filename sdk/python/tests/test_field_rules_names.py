"""The proto's Kubernetes naming rules (field_rules.proto: dns1123_label,
dns1123_subdomain, label_key, label_value, labels) accept what Kubernetes
accepts and explain every refusal. Each rule is asked through a request field
that carries it, as the SDK and the server ask it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from openvcluster import field_rules
from openvcluster.v1 import vcluster_service_pb2 as vs
from openvcluster.v1.vcluster_pb2 import VCluster


def _problem(message: Message, field: str) -> str | None:
    return dict(field_rules.violations(message)).get(field)


def dns1123_label_problem(value: str) -> str | None:
    return _problem(vs.GetVClusterRequest(namespace="a", name=value), "name")


def dns1123_subdomain_problem(value: str) -> str | None:
    request = vs.CreateVClusterRequest(namespace="a", name="b")
    request.spec.storage.storage_class = value
    return _problem(request, "spec.storage.storage_class")


def label_key_problem(key: str) -> str | None:
    return _problem(VCluster(namespace="a", name="b", labels={key: ""}), f"labels[{key}]")


def label_value_problem(value: str) -> str | None:
    return _problem(VCluster(namespace="a", name="b", labels={"a": value}), "labels[a]")


def labels_problems(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, description) per bad label; the key "" for the map as a whole."""
    return [
        (field.removeprefix("labels[")[:-1] if field.startswith("labels[") else "", description)
        for field, description in field_rules.violations(
            VCluster(namespace="a", name="b", labels=labels)
        )
    ]


VALID_DNS1123_LABELS = [
    "a",
    "0",
    "abc",
    "a-b",
    "a--b",
    "1-2-3",
    "0a",
    "a0",
    "my-vcluster-01",
    "a" * 63,
    "9" * 63,
]

INVALID_DNS1123_LABELS = [
    ("A", "DNS-1123 label"),
    ("abC", "DNS-1123 label"),
    ("-a", "DNS-1123 label"),
    ("a-", "DNS-1123 label"),
    ("-", "DNS-1123 label"),
    ("a_b", "DNS-1123 label"),
    ("a.b", "DNS-1123 label"),
    ("a b", "DNS-1123 label"),
    (" a", "DNS-1123 label"),
    ("a\n", "DNS-1123 label"),
    ("é", "DNS-1123 label"),
    ("a/b", "DNS-1123 label"),
    ("", "must not be empty"),
    ("a" * 64, "is 64 characters; at most 63 are allowed"),
    ("a" * 300, "is 300 characters; at most 63 are allowed"),
]


@pytest.mark.parametrize("value", VALID_DNS1123_LABELS)
def test_valid_dns1123_labels(value: str) -> None:
    assert dns1123_label_problem(value) is None


@pytest.mark.parametrize(("value", "expected"), INVALID_DNS1123_LABELS)
def test_invalid_dns1123_labels(value: str, expected: str) -> None:
    problem = dns1123_label_problem(value)
    assert problem is not None
    assert expected in problem


def test_dns1123_label_sentence_explains_the_rule() -> None:
    assert dns1123_label_problem("Bad_Name") == (
        "must be a DNS-1123 label: lower-case letters, digits and '-', "
        "starting and ending with a letter or digit, at most 63 characters"
    )


VALID_DNS1123_SUBDOMAINS = [
    "a",
    "example.com",
    "a.b.c.d",
    "k8s.io",
    "my-app.example-1.com",
    "0.1.2",
    "a" * 63 + "." + "b" * 63,
    ".".join(["a" * 63] * 3) + "." + "b" * 61,  # 253 characters
]

INVALID_DNS1123_SUBDOMAINS = [
    ("Example.com", "DNS-1123 subdomain"),
    (".a", "DNS-1123 subdomain"),
    ("a.", "DNS-1123 subdomain"),
    ("a..b", "DNS-1123 subdomain"),
    ("a.-b", "DNS-1123 subdomain"),
    ("a-.b", "DNS-1123 subdomain"),
    ("a_b.com", "DNS-1123 subdomain"),
    ("a/b", "DNS-1123 subdomain"),
    ("a" * 64 + ".com", "at most 63 characters long"),
    (".".join(["a" * 63] * 4), "is 255 characters; at most 253 are allowed"),
]


@pytest.mark.parametrize("value", VALID_DNS1123_SUBDOMAINS)
def test_valid_dns1123_subdomains(value: str) -> None:
    assert len(value) <= 253
    assert dns1123_subdomain_problem(value) is None


@pytest.mark.parametrize(("value", "expected"), INVALID_DNS1123_SUBDOMAINS)
def test_invalid_dns1123_subdomains(value: str, expected: str) -> None:
    problem = dns1123_subdomain_problem(value)
    assert problem is not None
    assert expected in problem


VALID_LABEL_KEYS = [
    "app",
    "App",
    "a",
    "0",
    "app.kubernetes.io/name",
    "example.com/Some_Name.v-2",
    "a.b/c",
    "k8s.io/x",
    "a-b_c.d",
    "A" * 63,
    "example.com/" + "z" * 63,
    "a" * 63 + "." + "b" * 63 + "/name",
    ".".join(["a" * 63] * 3) + "." + "b" * 61 + "/name",  # a prefix of 253 characters
]

INVALID_LABEL_KEYS = [
    ("", "must not be empty"),
    ("-app", "must be a label key"),
    ("app-", "must be a label key"),
    ("_app", "must be a label key"),
    (".app", "must be a label key"),
    ("a b", "must be a label key"),
    ("a:b", "must be a label key"),
    ("ä", "must be a label key"),
    ("a" * 64, "is 64 characters; at most 63 are allowed"),
    ("/app", "has nothing before '/'"),
    ("example.com/", "has nothing after '/'"),
    ("a/b/c", "has more than one '/'; at most one is allowed"),
    ("Example.com/app", "has a prefix before '/' that is not a DNS-1123 subdomain"),
    ("a_b/app", "has a prefix before '/' that is not a DNS-1123 subdomain"),
    ("a..b/app", "DNS-1123 subdomain"),
    ("a" * 254 + "/app", "has a prefix of more than 253 characters before '/'"),
    ("example.com/" + "x" * 64, "has a name of more than 63 characters after '/'"),
    ("example.com/-x", "must be a label key"),
    ("example.com/x_", "must be a label key"),
]


@pytest.mark.parametrize("key", VALID_LABEL_KEYS)
def test_valid_label_keys(key: str) -> None:
    assert label_key_problem(key) is None


@pytest.mark.parametrize(("key", "expected"), INVALID_LABEL_KEYS)
def test_invalid_label_keys(key: str, expected: str) -> None:
    problem = label_key_problem(key)
    assert problem is not None
    assert expected in problem


VALID_LABEL_VALUES = [
    "",
    "a",
    "0",
    "prod",
    "Prod",
    "v1.2.3",
    "a_b-c.d",
    "X" * 63,
]

INVALID_LABEL_VALUES = [
    ("-a", "must be empty or a label value"),
    ("a-", "must be empty or a label value"),
    ("_", "must be empty or a label value"),
    (".", "must be empty or a label value"),
    ("a/b", "must be empty or a label value"),
    ("a b", "must be empty or a label value"),
    ("a=b", "must be empty or a label value"),
    ("ü", "must be empty or a label value"),
    ("a\n", "must be empty or a label value"),
    ("a" * 64, "is 64 characters; at most 63 are allowed"),
]


@pytest.mark.parametrize("value", VALID_LABEL_VALUES)
def test_valid_label_values(value: str) -> None:
    assert label_value_problem(value) is None


@pytest.mark.parametrize(("value", "expected"), INVALID_LABEL_VALUES)
def test_invalid_label_values(value: str, expected: str) -> None:
    problem = label_value_problem(value)
    assert problem is not None
    assert expected in problem


def test_labels_problems_of_valid_labels() -> None:
    assert labels_problems({}) == []
    assert labels_problems({"app": "web", "example.com/tier": "", "v": "1.2"}) == []


def test_labels_problems_name_the_key_and_say_whether_key_or_value() -> None:
    problems = labels_problems({"zeta": "-bad", "ok": "fine", "Bad Key": "x", "b/c/d": "_"})
    # One violation per label: a bad key is named before its value is read.
    assert [key for key, _ in problems] == ["Bad Key", "b/c/d", "zeta"]
    assert problems[0][1].startswith("the key must be a label key")
    assert problems[1][1].startswith("the key has more than one '/'")
    assert problems[2][1].startswith("the value must be empty or a label value")


def test_labels_problems_limit_the_number_of_labels() -> None:
    assert labels_problems({f"k{i}": "v" for i in range(64)}) == []
    problems = labels_problems({f"k{i}": "v" for i in range(65)})
    assert problems == [("", "has 65 labels; at most 64 are allowed")]


def test_labels_problems_report_the_count_and_each_label_together() -> None:
    labels = {f"k{i}": "v" for i in range(70)}
    labels["k5"] = "-"
    problems = labels_problems(labels)
    assert problems[0] == ("", "has 70 labels; at most 64 are allowed")
    assert [key for key, _ in problems[1:]] == ["k5"]


def test_labels_problems_with_an_empty_key() -> None:
    assert labels_problems({"": "v"}) == [("", "the key must not be empty")]


_LABEL_NAME = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", fullmatch=True)
_DNS_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)


@given(st.text())
def test_checks_accept_any_text_without_raising(text: str) -> None:
    for check in (
        dns1123_label_problem,
        dns1123_subdomain_problem,
        label_key_problem,
        label_value_problem,
    ):
        problem = check(text)
        assert problem is None or (isinstance(problem, str) and problem)


@given(_DNS_LABEL)
def test_generated_dns1123_labels_are_valid(value: str) -> None:
    assert dns1123_label_problem(value) is None
    assert dns1123_subdomain_problem(value) is None
    assert label_key_problem(value) is None
    assert label_value_problem(value) is None


@given(st.lists(_DNS_LABEL, min_size=1, max_size=3), _LABEL_NAME)
def test_generated_prefixed_label_keys_are_valid(parts: list[str], name: str) -> None:
    assert label_key_problem(".".join(parts) + "/" + name) is None


@given(st.text(alphabet="ABCabc019-_./ ", max_size=80))
def test_a_dns1123_label_is_also_a_subdomain_and_a_label_value(value: str) -> None:
    if dns1123_label_problem(value) is None:
        assert dns1123_subdomain_problem(value) is None
        assert label_value_problem(value) is None
        assert label_key_problem(value) is None
