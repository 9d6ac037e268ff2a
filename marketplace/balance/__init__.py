"""Balance summaries: coverage by priority, delivered help, fulfilment times and overdue work per
county, prefecture and the province, rebuilt by a periodic job (docs/oversight.md).

Pages never aggregate the base tables: they read the summary rows of one generation through
:mod:`marketplace.balance.queries`; :func:`marketplace.balance.refresh.refresh` rebuilds them.
"""
