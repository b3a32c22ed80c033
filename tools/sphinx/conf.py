"""Sphinx configuration for `make docs`: the reference antsibull-docs generates for rollout.codedeploy, and the guides.

antsibull-docs writes the reStructuredText into .build/docs/rst, the Makefile copies the Markdown guides of docs/
into .build/docs/rst/guides (myst-parser reads them); this file is used from here with
`sphinx-build -c tools/sphinx`.  It builds offline: the built-in alabaster theme, and the labels of the
Ansible documentation site (other collections' modules, common return values, configuration settings)
become links to docs.ansible.com instead of intersphinx look-ups, which would need the network.
"""

from __future__ import annotations

import re

from docutils import nodes

project = "rollout.codedeploy"
author = "rollout.codedeploy contributors"
copyright = "rollout.codedeploy contributors; GNU General Public License v3.0+"
extensions = ["sphinx_antsibull_ext", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# The guides' headings become anchors, so a guide's `[...](#running-it)` and `[...](groups.md#...)` links resolve.
myst_heading_anchors = 3
root_doc = "index"
html_theme = "alabaster"
html_title = "rollout.codedeploy reference"
html_show_sourcelink = False

ANSIBLE_DOCS = "https://docs.ansible.com/ansible/latest"
# Labels of the Ansible documentation site that the generated pages refer to, and their pages there.
ANSIBLE_SITE_PAGES = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
    "action_plugins": "plugins/action.html",
}
# ansible_collections.<namespace>.<collection>.<plugin>_<type>, for collections other than ours.
PLUGIN_LABEL = re.compile(r"^ansible_collections\.(?P<ns>\w+)\.(?P<coll>\w+)\.(?P<plugin>\w+)_(?P<type>[a-z]+)$")


def _ansible_site_url(label: str) -> str | None:
    if label in ANSIBLE_SITE_PAGES:
        return f"{ANSIBLE_DOCS}/{ANSIBLE_SITE_PAGES[label]}"
    match = PLUGIN_LABEL.match(label)
    if match and (match["ns"], match["coll"]) != ("rollout", "codedeploy"):
        return f"{ANSIBLE_DOCS}/collections/{match['ns']}/{match['coll']}/{match['plugin']}_{match['type']}.html"
    return None


def _link_to_ansible_site(app, env, node, contnode):
    """Resolve a :ref: the local build cannot resolve when it names a page of the Ansible site."""
    if node.get("refdomain") != "std" or node.get("reftype") != "ref":
        return None
    url = _ansible_site_url(node.get("reftarget", ""))
    if url is None:
        return None  # our own broken reference: let Sphinx warn (make docs treats warnings as errors)
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference += contnode
    return reference


# antsibull-docs writes index.rst; the guides are listed under it, in this order, the rest after them by name.
GUIDES_TOCTREE = """

Guides
------

.. toctree::
   :maxdepth: 1
   :glob:

   guides/tutorial
   guides/lab-fleet
   guides/*
"""


def _list_guides(app, docname, source):
    if docname == "index":
        source[0] += GUIDES_TOCTREE


def setup(app):
    app.connect("missing-reference", _link_to_ansible_site)
    app.connect("source-read", _list_guides)
    return {"parallel_read_safe": True}
