"""Write-audit-publish: the build schema, the swap and rollback, and who may read what."""
