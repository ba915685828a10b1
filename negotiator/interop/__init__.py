"""Exchange of negotiation domains with other tools.

* :mod:`~negotiator.interop.names`: valid config names made from other tools' names;
* :mod:`~negotiator.interop.genius_files`: reading Genius XML (a domain, the profiles);
* :mod:`~negotiator.interop.genius`: ``import genius``, Genius files → an explicit-domain config;
* :mod:`~negotiator.interop.genius_export`: ``export genius``, an explicit-domain config → Genius
  files.

The mapping is described in ``docs/genius.md``.
"""

from negotiator.interop.genius import ImportOptions, import_genius, to_toml
from negotiator.interop.genius_export import export_genius, write_files

__all__ = ["ImportOptions", "export_genius", "import_genius", "to_toml", "write_files"]
