"""Fake Google Play: the OAuth token endpoint, androidpublisher v3 (edits, bundles, tracks,
releases, review) and Play Developer Reporting v1beta1 (crash and ANR rate metric sets)."""
