"""The rules of the findings engine, one module a rule, each declaring the codes it raises.

A module holds a rule (its check over an `OrgIndex` and the tables it reads), the codes it
raises with their catalogue text, severity and subject, and the proposers of the remedies that
can clear them, in one `RULE` (`orgdesign.analysis.declare.Rule`). The registry,
`orgdesign.analysis.catalogue`, lists the modules in the order the engine runs them. To add a
code: see CONTRIBUTING.md.
"""
