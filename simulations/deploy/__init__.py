"""A real Flower deployment on one machine (loopback): TLS, SuperNode authentication, own data.

    python -m simulations.deploy [--supernodes 2] [--rounds 2] [--out outputs/deployment]

Makes a throw-away CA, a SuperLink certificate and one key pair per SuperNode; starts
``flower-superlink`` with TLS and ``--enable-supernode-auth``; registers each SuperNode's
public key (``flwr supernode register``); writes each SuperNode's rows of the scenario to
its own CSV and starts ``flower-supernode`` with that file as ``data-path``; runs fedgan
through ``flwr run . fedgan-local``; and stops every process it started. See
docs/deployment.md.
"""

from simulations.deploy._local import CONNECTION, LocalDeployment

__all__ = ["CONNECTION", "LocalDeployment"]
