# The project's Python environment: one virtual environment, pinned requirements in requirements/*.txt.
REQUIREMENTS := $(sort $(wildcard requirements/*.txt))
# CI installs once into a fresh clone: a wheel cache (~4 GB for torch and its CUDA wheels) would
# only take disk that the build and the tests need.
PIP_INSTALL := $(VPY) -m pip install -q --disable-pip-version-check $(if $(CI),--no-cache-dir)

$(VENV)/.stamp: $(REQUIREMENTS)
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) $(addprefix -r ,$(REQUIREMENTS))
	@touch $@

.PHONY: venv
venv: $(VENV)/.stamp
