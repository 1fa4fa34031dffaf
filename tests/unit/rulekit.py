"""Compile one rule from its YAML form, as the engine does."""

from proxy import vendors
from proxy.mapping.engine import DECODE_ROOTS, ENCODE_ROOTS
from proxy.mapping.rules import Rule, compile_rule


def decode_rule(spec: dict):
    return compile_rule(Rule.model_validate(spec), DECODE_ROOTS, vendors.function)[0]


def encode_rule(spec: dict):
    return compile_rule(Rule.model_validate(spec), ENCODE_ROOTS, vendors.function, "rec")[0]


def body(**fields):
    return {"body": fields, "path": {}, "query": {}, "header": {}, "ctx": {}}
