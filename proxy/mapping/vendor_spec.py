"""The shape of a vendor mapping file as a whole (`proxy/vendors/<vendor>/mapping.yaml`): its
vendor, auth, retries, error and id functions, and its endpoints (spec.py: their parts)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .rules import Rule
from .spec import Auth, Endpoint, Retries, Strict, codec_fn


class VendorSpec(Strict):
    vendor: str
    prefixes: list[str] = [""]
    auth: Auth
    retries: Retries = Field(default_factory=Retries)
    error: str  # "<codec>.<function>" building (status, code, message, violations) -> body
    owns: list[str] = []  # path regexes that are this vendor's, for answering unknown paths in its shape
    ids: dict[str, str] = {}  # kind -> "<codec>.<function>" making a native id from a foreign one
    unsupported: dict[str, str] = {}  # "op" or "op:entity" -> why this vendor cannot take it
    # The vendor server's language, as its checks read: a `pattern:` is its regex (java: javaregex.py),
    # and `min_length` counts what its blank leaves (java: what String.trim() leaves, as @NotBlank)
    dialect: Literal["python", "java"] = "python"
    endpoints: dict[str, Endpoint] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _checks_in_the_vendors_dialect(self) -> VendorSpec:
        for rule in _rules(self.endpoints):
            rule._dialect = self.dialect
        return self

    @field_validator("error")
    @classmethod
    def _error_fn(cls, v: str) -> str:
        return codec_fn(v)

    @field_validator("ids")
    @classmethod
    def _id_fns(cls, v: dict[str, str]) -> dict[str, str]:
        for fn in v.values():
            codec_fn(fn)
        return v


def _rules(node: Any):
    """Every rule in a part of a spec, however deep."""
    if isinstance(node, BaseModel):
        if isinstance(node, Rule):
            yield node
        for name in type(node).model_fields:  # a rule's own `items` and `values` too
            yield from _rules(getattr(node, name))
    elif isinstance(node, dict):
        for v in node.values():
            yield from _rules(v)
    elif isinstance(node, list):
        for v in node:
            yield from _rules(v)
