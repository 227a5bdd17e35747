"""Two `rag serve` replicas (real processes on 127.0.0.1) on one real PostgreSQL: a document added through
one process is answered by both within seconds, without a restart; feedback and answers from each land in
one table; the database going down gives 503 with Retry-After and recovers by itself, with no feedback lost,
also when it restarts under load; down at start is one line. Extractive backend; the seeds' vectors come
from the per-document cache of the default index (no multilingual index, to keep the build quick)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from rag.core.settings import ROOT, Settings
from rag.ingest import manage
from rag.interfaces.feedback import load_feedback
from rag.interfaces.http.process import environ, free_port, rag_command, rag_serve_command, stop
from rag.store.corpus import publish_local
from rag.store.db import database
from rag.store.schema import migrate

pytestmark = pytest.mark.slow  # each replica loads the embedding model

EXCERPT_2015 = Path(__file__).parent / "data" / "gh-2015-81_excerpt.txt"
QUESTION = "How long was the 2015 comprehensive pilot approved for?"


def _serve(ports: list[int], env: dict[str, str], logs: Path, stack: ExitStack, timeout_s: float = 240) -> None:
    """Start the replicas side by side; return once every one answers /healthz (stopped when `stack` closes)."""
    procs = []
    for port in ports:
        with open(logs / f"serve-{port}.log", "w") as out:
            procs.append(subprocess.Popen(rag_serve_command(port), cwd=ROOT, env=environ(env), stdout=out, stderr=out))
        stack.callback(stop, procs[-1])
    deadline = time.monotonic() + timeout_s
    for port, proc in zip(ports, procs):
        while True:
            assert proc.poll() is None, (logs / f"serve-{port}.log").read_text()[-2000:]
            assert time.monotonic() < deadline, (logs / f"serve-{port}.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("replicas")
    shutil.copytree(ROOT / "corpus", tmp / "corpus")
    cache = Path(Settings().index_root) / "documents"
    if cache.exists():
        shutil.copytree(cache, tmp / "index" / "documents")
    url = postgres.url("replicas")
    settings = Settings(corpus_dir=tmp / "corpus", index_root=tmp / "index", multilingual_embedder="", database_url=url)
    migrate(database(settings))
    publish_local(settings)
    env = {
        "RAG_DATABASE_URL": url,
        "RAG_BACKEND": "extractive",
        "RAG_CORPUS_DIR": str(tmp / "corpus"),
        "RAG_INDEX_ROOT": str(tmp / "index"),
        "RAG_DB_CONNECT_TIMEOUT_S": "1",
        "RAG_DB_RETRY_AFTER_S": "2",
        "PYTHONPATH": str(ROOT),  # this checkout's code, whichever checkout the venv was installed from
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "RAG_APP_URL": "",
    }
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        _serve(ports, env, tmp, stack)
        clients = [stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=60)) for p in ports]
        yield {"settings": settings, "clients": clients, "postgres": postgres, "env": env, "tmp": tmp}


def _cites_2015(client: httpx.Client) -> bool:
    hits = client.get("/v1/search", params={"q": QUESTION, "k": 5}).json()["hits"]
    return any(h["doc_id"] == "gh-2015-81" for h in hits)


def test_a_document_added_through_one_process_is_answered_by_both_replicas_within_seconds(cluster):
    a, b = cluster["clients"]
    assert not _cites_2015(a) and not _cites_2015(b)
    settings = cluster["settings"]
    manage.commit(settings, manage.prepare_add(settings, EXCERPT_2015, "gh-2015-81"), accept_relations=True)
    added = time.monotonic()
    while not (_cites_2015(a) and _cites_2015(b)):
        assert time.monotonic() - added < 15, "a replica still answers from the old corpus"
        time.sleep(0.3)
    for client in (a, b):
        assert len(client.get("/v1/documents").json()["documents"]) == 6
        assert client.get("/healthz").json()["database"]["corpus_version"] == 2
    answer = b.post("/v1/answers", json={"question": QUESTION}).json()
    assert any(c["doc_id"] == "gh-2015-81" for c in answer["citations"]), answer


def test_feedback_and_answers_through_each_replica_are_counted_in_one_table(cluster):
    a, b = cluster["clients"]
    for n, client in enumerate((a, b)):
        answer = client.post("/v1/answers", json={"question": "Can a WFOE become a private fund manager?"}).json()
        reply = client.post("/v1/feedback", json={"answer_id": answer["id"], "rating": "up", "comment": f"via {n}"})
        assert reply.status_code == 200
    stored = [f.comment for f in load_feedback(cluster["settings"])]
    assert stored.count("via 0") == 1 and stored.count("via 1") == 1
    with database(cluster["settings"]).transaction() as conn:
        replicas = {r[0] for r in conn.execute("SELECT DISTINCT replica FROM answers")}
    assert len(replicas) == 2


def test_the_database_down_mid_run_gives_503_with_retry_after_then_recovers(cluster):
    a, _ = cluster["clients"]
    before = len(load_feedback(cluster["settings"]))
    cluster["postgres"].stop()
    try:
        time.sleep(1.2)  # past RAG_DB_CORPUS_CHECK_S: the next request asks the database
        for reply in (
            a.get("/v1/search", params={"q": QUESTION}),
            a.post("/v1/feedback", json={"question": QUESTION, "rating": "down", "comment": "while down"}),
            a.get("/healthz"),
        ):
            assert reply.status_code == 503 and "database" in reply.text.lower()
        assert reply.headers.get("retry-after") is None  # /healthz: the load balancer's signal, no retry hint
        assert a.get("/v1/search", params={"q": QUESTION}).headers["retry-after"] == "2"
    finally:
        cluster["postgres"].start()
    deadline = time.monotonic() + 10
    while (
        reply := a.post("/v1/feedback", json={"question": QUESTION, "rating": "down", "comment": "after"})
    ).status_code != 200:
        assert reply.status_code == 503 and time.monotonic() < deadline
        time.sleep(0.3)
    assert a.get("/v1/search", params={"q": QUESTION}).status_code == 200
    comments = [f.comment for f in load_feedback(cluster["settings"])]
    assert len(comments) == before + 1 and "while down" not in comments and comments[-1] == "after"


def test_a_database_restart_under_load_loses_no_feedback_and_never_answers_500(cluster):
    clients = cluster["clients"]
    statuses: list[int] = []
    sent: list[str] = []
    lock, done = threading.Lock(), threading.Event()

    def worker(n: int) -> None:
        client = clients[n % 2]
        i = 0
        while not done.is_set():
            comment, i = f"load {n}-{i}", i + 1
            while True:  # what a client does with 503: wait Retry-After (shortened here), send again
                reply = client.post("/v1/feedback", json={"question": QUESTION, "rating": "up", "comment": comment})
                search = client.get("/v1/search", params={"q": QUESTION, "k": 3})
                with lock:
                    statuses.extend((reply.status_code, search.status_code))
                if reply.status_code == 200:
                    break
                assert "retry-after" in reply.headers
                time.sleep(0.3)
            with lock:
                sent.append(comment)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    cluster["postgres"].stop()
    time.sleep(1.5)
    cluster["postgres"].start()
    time.sleep(2.0)
    done.set()
    for t in threads:
        t.join(timeout=60)
    assert set(statuses) <= {200, 503} and statuses.count(503) > 0 and len(sent) > 8
    stored = [f.comment for f in load_feedback(cluster["settings"]) if f.comment.startswith("load ")]
    assert sorted(stored) == sorted(sent)  # each exactly once


def test_rag_serve_on_an_unreachable_database_exits_with_one_line(tmp_path):
    env = {"RAG_DATABASE_URL": f"postgresql://rag:secret@/rag?host={tmp_path}", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        rag_command("serve", "--port", str(free_port())),
        cwd=ROOT,
        env=environ(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "Start PostgreSQL or fix RAG_DATABASE_URL" in run.stderr and "secret" not in run.stderr
