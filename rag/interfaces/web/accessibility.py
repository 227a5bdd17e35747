"""What both pages add for people using a keyboard, a screen reader or a dark system theme.

- Text contrast at least 4.5:1 in the light and the dark theme: Streamlit draws captions and quotes in its
  "faded" text colour (about 3.5:1 on white); here they take the body colour at 85% (about 8:1 on white).
- A visible focus ring on every link, button and control reached by the keyboard (text boxes keep
  Streamlit's own focus border, in the accent colour).
- Avatars with a text alternative: Streamlit marks a chat avatar aria-hidden; the script names it
  ("You asked", "The assistant answered", in the page's language) as an image.
Strings only (no Streamlit calls); app.py and views/viewer.py put them on the page with st.html.
"""

from __future__ import annotations

import json

from rag.core.language import say

FOCUS_LIGHT = "#0054a3"  # 7.5:1 on white
FOCUS_DARK = "#6cb4ff"  # 8.6:1 on Streamlit's dark background (#171614)

PAGE_CSS = f"""<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stMarkdownContainer"] blockquote, [data-testid="stMarkdownContainer"] blockquote p {{
  color: inherit !important; opacity: 0.85; }}
a:focus-visible, button:focus-visible, summary:focus-visible, [role="button"]:focus-visible,
[role="radio"]:focus-visible, [role="option"]:focus-visible, [tabindex]:focus-visible {{
  outline: 3px solid {FOCUS_LIGHT} !important; outline-offset: 2px !important; }}
@media (prefers-color-scheme: dark) {{
  a:focus-visible, button:focus-visible, summary:focus-visible, [role="button"]:focus-visible,
  [role="radio"]:focus-visible, [role="option"]:focus-visible, [tabindex]:focus-visible {{
    outline-color: {FOCUS_DARK} !important; }}
}}
</style>"""

_AVATAR_SCRIPT = """<script>(function(){
window.__ragAvatarLabels = LABELS;
if (window.__ragAvatars) { window.__ragAvatars(); return; }
const name = function(){
  document.querySelectorAll('[data-testid^="stChatMessageAvatar"]').forEach(function(el){
    const label = window.__ragAvatarLabels[el.dataset.testid.replace('stChatMessageAvatar', '')];
    if (!label) return;
    if (el.getAttribute('aria-hidden') !== null) el.removeAttribute('aria-hidden');
    if (el.getAttribute('role') !== 'img') el.setAttribute('role', 'img');
    if (el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
  });
};
window.__ragAvatars = name;
new MutationObserver(name).observe(document.body,
  {childList: true, subtree: true, attributes: true, attributeFilter: ['aria-hidden']});
name();
})();</script>"""


def avatar_script(lang: str) -> str:
    """The script that names the chat's avatars in `lang` (run again with another language, it renames them)."""
    labels = {"User": say("avatar_user", lang), "Assistant": say("avatar_assistant", lang)}
    return _AVATAR_SCRIPT.replace("LABELS", json.dumps(labels, ensure_ascii=False).replace("<", "\\u003c"))
