# The project's Python environment: one virtual environment, pinned requirements in requirements/*.txt.
REQUIREMENTS := $(sort $(wildcard requirements/*.txt))

$(VENV)/.stamp: $(REQUIREMENTS)
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(VPY) -m pip install -q --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	@touch $@

.PHONY: venv
venv: $(VENV)/.stamp
