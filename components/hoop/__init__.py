"""hoop gateway objects as code: REST client, Pulumi dynamic provider, policy bundles."""
