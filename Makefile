SHELL := /bin/bash
PY310 ?= $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python 2>/dev/null | tail -1)
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/current.tar.gz
TRAIN_DATA := nlu_data/nlu nlu_data/core
TRAIN_INPUTS := $(shell find nlu_data bot/nlu -type f -not -path '*/__pycache__/*' 2>/dev/null) config.yml domain.yml

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)

.PHONY: setup train run test eval bench shell db actions validate clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found under pyenv"; exit 1; }
	@test -x $(PY) || $(PY310) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip==24.0
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

train: $(MODEL)

$(MODEL): $(VENV)/.installed $(TRAIN_INPUTS)
	$(RASA) train --config config.yml --domain domain.yml --data $(TRAIN_DATA) \
	    --out models --fixed-model-name current
	@touch $@

db: setup
	$(PY) -m bot db seed

validate: setup
	$(RASA) data validate --config config.yml --domain domain.yml --data $(TRAIN_DATA) --fail-on-warnings

actions: setup
	$(PY) -m rasa_sdk --actions actions --port 5055

run: train db
	@echo "Starting the action server, then a chat in this terminal (Ctrl-D to quit)."
	@$(PY) -m rasa_sdk --actions actions --port 5055 > var/actions.log 2>&1 & echo $$! > var/actions.pid
	@trap 'kill $$(cat var/actions.pid) 2>/dev/null' EXIT; \
	    $(RASA) shell --model $(MODEL) --endpoints endpoints.yml

shell: run

test: train
	$(PY) -m pytest -q tests

eval: train
	$(PY) -m bot eval --model $(MODEL)

bench: train
	$(PY) -m bot bench --model $(MODEL)

clean:
	rm -rf models var reports .pytest_cache
