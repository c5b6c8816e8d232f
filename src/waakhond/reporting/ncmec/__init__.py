"""NCMEC CyberTipline reports: the report XML (:mod:`.xml`), its validation against the XSD of the subset
waakhond emits (:mod:`.validate`), and the submission client (:mod:`.client`)."""
