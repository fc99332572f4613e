import type { FootnoteDefinition, ListItem, Nodes, PhrasingContent, Root, RootContent } from 'mdast';

/**
 * A remark plugin for the server's number check (server agents/number-check.ts): it marks a figure
 * the analysis does not back with a footnote reference (`$512.40[^1]`) and gives the reason in a
 * footnote (`[^1]: ...`). GFM would render those as in-page links to a footnote section, which the
 * app's hash router would take for a page change; here each mark is a plain superscript flag where
 * it stands and the reasons are one list of notes after the answer, each led by its flag. Raw HTML
 * in an answer is turned into text, so it is shown as written and never becomes markup.
 */
export function remarkNumberCheckNotes() {
  return (tree: Root) => {
    const notes: FootnoteDefinition[] = [];
    tree.children = tree.children.filter((node) => {
      if (node.type !== 'footnoteDefinition') return true;
      notes.push(node);
      return false;
    });
    walk(tree);
    for (const note of notes) walk(note);
    if (notes.length > 0) tree.children.push(notesList(notes));
  };
}

const FLAG_TITLE = "Not backed by Tally's analysis as written: see the note below the answer";

/** A flag as a node remark-rehype turns into `<sup class="answer-flag">label</sup>`. */
function flag(label: string): PhrasingContent {
  return {
    type: 'text',
    value: label,
    data: { hName: 'sup', hProperties: { className: ['answer-flag'], title: FLAG_TITLE }, hChildren: [{ type: 'text', value: label }] },
  };
}

function walk(node: Nodes): void {
  if (!('children' in node)) return;
  const children = node.children as Nodes[];
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.type === 'footnoteReference') children[i] = flag(child.label ?? child.identifier);
    else if (child.type === 'html') children[i] = { type: 'text', value: child.value };
    else walk(child);
  }
}

function notesList(notes: FootnoteDefinition[]): RootContent {
  const items: ListItem[] = notes.map((note) => {
    const [first, ...rest] = note.children;
    const text: PhrasingContent[] = first?.type === 'paragraph' ? first.children : [];
    return {
      type: 'listItem',
      spread: false,
      children: [{ type: 'paragraph', children: [flag(note.label ?? note.identifier), { type: 'text', value: ' ' }, ...text] }, ...(first?.type === 'paragraph' ? rest : note.children)],
    };
  });
  return { type: 'list', ordered: false, spread: false, data: { hProperties: { className: ['answer-notes'], ariaLabel: 'Checked figures' } }, children: items };
}
