"""Outbound presets: named, documented sets of FQDN rules for a managed network that allows only
approved outbound traffic (``network.outboundPresets``).

Each preset is the host list Azure ML's own documentation gives for a scenario, the source beside
it; FQDN rules reach ports 80 and 443 only, through the managed network's Azure Firewall
("FQDN outbound rules only support ports 80 and 443", azure-ai-docs articles/machine-learning/
how-to-managed-network.md, Limitations). Pure Python: the config rules and resolve read it.
"""

from __future__ import annotations

from typing import Literal

Preset = Literal["pypi", "conda", "huggingface"]
PRESETS: tuple[Preset, ...] = ("pypi", "conda", "huggingface")

# (rule name, FQDN) per preset. The rule names are the managed network's: unique in the workspace.
PRESET_RULES: dict[Preset, tuple[tuple[str, str], ...]] = {
    # azure-ai-docs articles/machine-learning/includes/recommended-network-outbound.md: "pypi.org -
    # Used to list dependencies from the default index"; "*.pythonhosted.org" is where pip
    # downloads the packages from (files.pythonhosted.org).
    "pypi": (("pypi", "pypi.org"), ("pythonhosted", "*.pythonhosted.org")),
    # Same page: "anaconda.com, *.anaconda.com - Used to install default packages";
    # "*.anaconda.org - Used to get repo data". Environments built from a conda file need them.
    "conda": (("anaconda", "anaconda.com"), ("anaconda-subdomains", "*.anaconda.com"), ("anaconda-org", "*.anaconda.org")),
    # how-to-managed-network.md, "Scenario: Use HuggingFace models" (docker.io, *.docker.io,
    # *.docker.com, production.cloudflare.docker.com, cdn.auth0.com, cdn-lfs.huggingface.co), and
    # the hub itself, which that list leaves out: Hugging Face's own published domains
    # (huggingface.co/.well-known/meta.json: huggingface.co, and hf.co for its LFS and CDN hosts).
    "huggingface": (
        ("huggingface", "huggingface.co"),
        ("huggingface-hf", "*.hf.co"),
        ("huggingface-lfs", "cdn-lfs.huggingface.co"),
        ("docker", "docker.io"),
        ("docker-subdomains", "*.docker.io"),
        ("docker-com", "*.docker.com"),
        ("docker-cloudflare", "production.cloudflare.docker.com"),
        ("auth0-cdn", "cdn.auth0.com"),
    ),
}
