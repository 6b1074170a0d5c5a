"""Supply chain: SBOMs of prod images, provenance statements, signatures, and the
signature check a deploy target can require."""
