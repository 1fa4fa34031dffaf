// The opik TypeScript SDK as its docs show it: a trace with a span, both scored, the trace
// ended, flushed. Reads OPIK_URL_OVERRIDE, OPIK_API_KEY, OPIK_WORKSPACE, OPIK_PROJECT_NAME from
// the environment, as the SDK itself does. Prints one JSON line with the ids it made, last.
import { Opik } from "opik";

const client = new Opik();
const trace = client.trace({ name: "answer", input: { question: "2+2?" }, metadata: { app: "ts-sdk-test" } });
const span = trace.span({
  name: "llm-call", type: "llm", input: { prompt: "2+2?" }, output: { completion: "4" },
  model: "gpt-4o", provider: "openai", usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
span.end();
await client.flush(); // the trace and its span are created

trace.score({ name: "quality", value: 0.8, reason: "right, but terse" });
span.score({ name: "relevance", value: 1 });
trace.update({ output: { answer: "4" } });
trace.end(); // a PATCH: the trace was created already
await client.flush();

console.log(JSON.stringify({ trace: trace.data.id, span: span.data.id }));
