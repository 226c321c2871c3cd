"""The runtime: what starts, stops and feeds the platform on one machine.

The top layer (ARCHITECTURE.md, "Layers"): the ``passerelle`` command (``cli``), the launcher that forks the
processes (``launcher``), the process that runs one site's services (``site_runner``) and the gateway
(``processes``), the embedded RabbitMQ node (``rabbit_node``) and the check of a broker before ``up`` uses it
(``preflight``), and demo data (``demo``). It may import every layer below it; nothing below imports it.
"""
