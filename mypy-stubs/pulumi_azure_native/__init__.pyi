# For mypy only (mypy_path): the SDK's __init__.py imports all 257 of its service packages under
# TYPE_CHECKING, so following it reads 155 MB of source on every cold run. This stub keeps the
# top level's own names; `from pulumi_azure_native import storage` still finds and checks
# pulumi_azure_native/storage in site-packages.
from . import _utilities as _utilities
from .provider import Provider as Provider
from .provider import ProviderArgs as ProviderArgs
