"""OpenTelemetry over OTLP/HTTP: GenAI evaluation results (gen_ai.evaluation.result) and spans."""
