# The two commands of this project (see README.md).
.PHONY: run test setup

setup:
	bash scripts/setup.sh

# Listens on this machine only; RAG_HOST=0.0.0.0 make run exposes it to the network (there is no login).
RAG_HOST ?= 127.0.0.1

run: setup
	HF_HUB_OFFLINE=1 .venv/bin/streamlit run app.py --server.address $(RAG_HOST) --server.headless true --browser.gatherUsageStats false

test:
	bash scripts/setup.sh --with-browser
	bash scripts/test.sh
