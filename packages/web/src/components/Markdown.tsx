import { memo, type ComponentProps } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { remarkNumberCheckNotes } from './number-check-notes.js';
import { safeHref } from './safe-href.js';
import { showableStreamedMarkdown } from './streamed-markdown.js';

export interface MarkdownProps {
  source: string;
  /** The text is still arriving: unfinished constructs are completed or held back (streamed-markdown.ts). */
  streaming?: boolean;
}

/**
 * Agent answers as React elements (react-markdown with GFM): text is escaped and raw HTML shows as
 * text, links open only for http(s) and mailto, in a new tab without access to this one.
 */
export const Markdown = memo(function Markdown({ source, streaming = false }: MarkdownProps) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm, remarkNumberCheckNotes]}
        urlTransform={(url) => safeHref(url) ?? ''}
        components={COMPONENTS}
      >
        {streaming ? showableStreamedMarkdown(source) : source}
      </ReactMarkdown>
    </div>
  );
});

/** Answer headings sit under the card's own heading levels. */
const COMPONENTS: Components = {
  h1: (props) => <h3>{props.children}</h3>,
  h2: (props) => <h3>{props.children}</h3>,
  h3: (props) => <h4>{props.children}</h4>,
  h4: (props) => <h5>{props.children}</h5>,
  a: SafeLink,
  table: (props) => (
    <div className="table-scroll">
      <table>{props.children}</table>
    </div>
  ),
};

/** A refused or unfinished link (its href emptied by urlTransform) is shown as its text. */
function SafeLink({ href, children }: ComponentProps<'a'>) {
  if (!href) return <span>{children}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}
