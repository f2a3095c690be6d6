"""Deployment files: nginx.conf (a template, rendered by render.py), helper.py (for scripts/cluster.sh), k8s/."""
