"""The fake vendors keep what they are sent and serve it back through their read APIs, as the
vendors do; what they keep never changes how they answer."""

from __future__ import annotations

import httpx

from proxy import ids


def test_the_fake_opik_serves_back_what_it_was_sent(fakes):
    [opik] = fakes("opik")
    tid = ids.uuid7(1767603600000)
    with httpx.Client(base_url=opik.url + "/api/v1/private") as c:
        assert (
            c.post(
                "/traces/batch",
                json={"traces": [{"id": tid, "project_name": "p", "name": "t", "start_time": "2026-01-05T09:00:00Z"}]},
            ).status_code
            == 204
        )
        assert (
            c.patch(f"/traces/{tid}", json={"end_time": "2026-01-05T09:00:01Z", "output": {"a": 1}}).status_code == 204
        )
        assert (
            c.put(
                "/traces/feedback-scores",
                json={
                    "scores": [
                        {"id": tid, "name": "x", "value": 1, "source": "sdk"},
                        {"id": tid, "name": "y", "value": 0, "source": "ui"},
                    ]
                },
            ).status_code
            == 204
        )
        assert c.post(f"/traces/{tid}/feedback-scores/delete", json={"name": "y"}).status_code == 204
        assert c.post(f"/traces/{tid}/comments", json={"text": "hm"}).status_code == 201
        assert (
            c.put(
                "/traces/threads/feedback-scores",
                json={"scores": [{"thread_id": "th", "name": "z", "value": 1, "source": "sdk"}]},
            ).status_code
            == 204
        )
        assert c.put("/traces/feedback-scores", json={"scores": ["junk"]}).status_code == 204  # answered as before
        page = c.get("/traces", params={"project_name": "p", "page": 1, "size": 10}).json()
        assert c.get("/traces", params={"project_name": "other"}).json()["total"] == 0
    assert (page["page"], page["total"]) == (1, 1)
    [trace] = page["content"]
    assert {k: trace[k] for k in ("id", "name", "start_time", "end_time", "output")} == {
        "id": tid,
        "name": "t",
        "start_time": "2026-01-05T09:00:00Z",
        "end_time": "2026-01-05T09:00:01Z",
        "output": {"a": 1},
    }
    assert "project_name" not in trace and trace["project_id"]  # as Trace_Public
    assert [(s["name"], s["value"], s["source"], s["created_by"]) for s in trace["feedback_scores"]] == [
        ("x", 1, "sdk", "admin")
    ]
    assert [c["text"] for c in trace["comments"]] == ["hm"]


def test_the_fake_scale_searches_spans_in_keyset_pages(fakes):
    [scale] = fakes("scale")
    items = [
        {
            "id": f"s{i}",
            "trace_id": f"t{i // 2}",
            "name": "n",
            "start_timestamp": f"2026-01-01T00:00:0{i}Z",
            **({"parent_id": f"s{i - 1}"} if i % 2 else {}),
        }
        for i in range(5)
    ]
    assert httpx.put(scale.url + "/v5/spans/batch", json={"items": items}).status_code == 200
    first = httpx.post(scale.url + "/v5/spans/search", params={"limit": 3}, json={}).json()
    rest = httpx.post(scale.url + "/v5/spans/search", params={"limit": 3, "starting_after": "s2"}, json={}).json()
    assert ([s["id"] for s in first["items"]], first["has_more"]) == (["s0", "s1", "s2"], True)
    assert ([s["id"] for s in rest["items"]], rest["has_more"]) == (["s3", "s4"], False)
    made = httpx.post(
        scale.url + "/v5/span-assessments", json={"assessment_type": "rating", "trace_id": "t1", "rating": 3}
    ).json()
    [read] = httpx.get(scale.url + "/v5/span-assessments", params={"trace_id": "t1"}).json()["items"]
    assert (
        "span_id" not in made and read["span_id"] == "s2"
    )  # attached to the trace's root span, and named so when read


def test_the_fake_tracia_lists_spans_but_no_evaluations(fakes):
    [tracia] = fakes("tracia")
    for i in range(3):
        span = {
            "spanId": f"sp_{i:016x}",
            "model": "m",
            "provider": "openai",
            "input": {"messages": []},
            "status": "SUCCESS",
            "latencyMs": 1,
            "inputTokens": 0,
            "outputTokens": 0,
            "totalTokens": 0,
        }
        assert httpx.post(tracia.url + "/api/v1/spans", json=span).status_code == 200
    assert (
        httpx.post(
            tracia.url + f"/api/v1/spans/sp_{0:016x}/evaluations", json={"evaluatorKey": "quality", "value": 1}
        ).status_code
        == 200
    )
    first = httpx.get(tracia.url + "/api/v1/spans", params={"limit": 2}).json()
    rest = httpx.get(tracia.url + "/api/v1/spans", params={"limit": 2, "cursor": first["nextCursor"]}).json()
    assert (len(first["spans"]), first["hasMore"], first["cursor"] == first["nextCursor"]) == (2, True, True)
    assert (len(rest["spans"]), rest["hasMore"], rest["nextCursor"]) == (1, False, None)
    assert "input" not in first["spans"][0] and httpx.get(tracia.url + f"/api/v1/spans/sp_{0:016x}").json()[
        "input"
    ] == {"messages": []}
    assert tracia.vendor.history.evaluations == [(f"sp_{0:016x}", {"evaluatorKey": "quality", "value": 1})]
    assert httpx.get(tracia.url + f"/api/v1/spans/sp_{0:016x}/evaluations").status_code == 404  # no such read API


def test_the_fake_scale_takes_span_writes_and_reads_one_span_as_scale_does(fakes):
    [scale] = fakes("scale")
    with httpx.Client(base_url=scale.url + "/v5", headers={"x-selected-account-id": "acct_1"}) as c:
        made = c.post(
            "/spans", json={"id": "s1", "trace_id": "t1", "name": "n", "start_timestamp": "2026-01-01T00:00:00Z"}
        )
        assert made.status_code == 200 and made.json() == {
            "id": "s1",
            "trace_id": "t1",
            "name": "n",
            "start_timestamp": "2026-01-01T00:00:00Z",
            "account_id": "acct_1",
            "object": "span",
        }
        patched = c.patch(
            "/spans/s1", json={"end_timestamp": "2026-01-01T00:00:01Z", "output": {"a": 4}, "status": "SUCCESS"}
        )
        assert patched.status_code == 200 and patched.json() == {
            **made.json(),
            "end_timestamp": "2026-01-01T00:00:01Z",
            "output": {"a": 4},
            "status": "SUCCESS",
        }
        assert c.get("/spans/s1").json() == patched.json()
        assert (
            c.put(
                "/spans/batch",
                json={
                    "items": [
                        {
                            "id": "s2",
                            "trace_id": "t1",
                            "parent_id": "s1",
                            "name": "m",
                            "start_timestamp": "2026-01-01T00:00:00Z",
                        }
                    ]
                },
            ).status_code
            == 200
        )
        assert c.get("/spans/s2").json()["parent_id"] == "s1"
        for unknown in (c.get("/spans/nope"), c.patch("/spans/nope", json={"name": "x"})):
            assert (unknown.status_code, unknown.json()) == (404, {"detail": "Span not found"})
