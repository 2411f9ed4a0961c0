/**
 * Code blocks of the project's Markdown documentation, and a TypeScript
 * program that type-checks them against the package as an application
 * that installed it would see it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT, tempDir } from './files.js';

export interface DocBlock {
  /** The Markdown file, relative to the repository root. */
  doc: string;
  /** 1-based line of the block's first code line. */
  line: number;
  lang: string;
  code: string;
  /**
   * `<!-- ts-prelude: ... -->` on the line before the fence: declarations a
   * fragment needs (`declare const job: Job;`), checked with it but not shown.
   */
  prelude: string;
  /** `<!-- ts-check: skip (reason) -->` on the line before the fence. */
  skip: string | undefined;
}

/** README.md and every docs/*.md file. */
export function documentationFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...docs.map((name) => join('docs', name))];
}

/** The fenced code blocks of a Markdown file in the given language (`ts`, `sh`, or `''` for blocks without one). */
export function codeBlocks(doc: string, lang: string): DocBlock[] {
  const lines = readFileSync(join(REPO_ROOT, doc), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((text, j) => j > i && /^```\s*$/.test(text));
    if (end === -1) throw new Error(`${doc}:${i + 1}: a code block that is never closed`);
    if (fence[1] === lang) {
      const before = i > 0 ? lines[i - 1]! : '';
      blocks.push({
        doc,
        line: i + 2,
        lang,
        code: lines.slice(i + 1, end).join('\n'),
        prelude: /^<!-- ts-prelude: (.*) -->$/.exec(before)?.[1] ?? '',
        skip: /^<!-- ts-check: skip (.*) -->$/.exec(before)?.[1],
      });
    }
    i = end;
  }
  return blocks;
}

/** A folder laid out like an application that depends on solstice-node (a link to this checkout). */
export async function appFolder(prefix: string): Promise<string> {
  const app = await tempDir(prefix);
  await mkdir(join(app, 'node_modules'), { recursive: true });
  await symlink(REPO_ROOT, join(app, 'node_modules', 'solstice-node'), 'dir');
  // npm hoists the package's dependencies next to it: an application reads a LanceSink's table with LanceDB...
  await mkdir(join(app, 'node_modules', '@lancedb'));
  await symlink(join(REPO_ROOT, 'node_modules', '@lancedb', 'lancedb'), join(app, 'node_modules', '@lancedb', 'lancedb'), 'dir');
  // ...and builds its own Comedy actor system to run jobs under (docs/embedding.md).
  await symlink(join(REPO_ROOT, 'node_modules', 'comedy'), join(app, 'node_modules', 'comedy'), 'dir');
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'docs-reader', type: 'module', dependencies: { 'solstice-node': '*' } }));
  return app;
}

/** What a user's strict tsconfig for Node 20 would say. */
export const STRICT_OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
  skipLibCheck: true,
  noEmit: true,
};

export interface SourceFile {
  name: string;
  text: string;
}

/**
 * Type-checks the files together in `app` (each one a module) and returns
 * the diagnostics of each, as `name:line:col TSnnnn message`, lines counted
 * in the given text.
 */
export async function typeCheck(app: string, files: SourceFile[]): Promise<Map<string, string[]>> {
  const paths = new Map<string, string>();
  for (const file of files) {
    const path = join(app, file.name);
    await writeFile(path, `${file.text}\nexport {};\n`);
    paths.set(path, file.name);
  }
  const program = ts.createProgram([...paths.keys()], STRICT_OPTIONS);
  const result = new Map<string, string[]>(files.map((file) => [file.name, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file ? paths.get(diagnostic.file.fileName) : undefined;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || name === undefined) {
      const where = diagnostic.file ? relative(app, diagnostic.file.fileName) : 'program';
      for (const list of result.values()) list.push(`${where}: TS${diagnostic.code} ${message}`);
      continue;
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    result.get(name)!.push(`${name}:${line + 1}:${character + 1} TS${diagnostic.code} ${message}`);
  }
  return result;
}

/** A block as a file: its prelude on the first line, so block line n is file line n + 1. */
export function blockSource(block: DocBlock): SourceFile {
  const name = `${block.doc.replace(/[/.]/g, '_')}_L${block.line}.ts`;
  return { name, text: `${block.prelude}\n${block.code}` };
}

/** Diagnostics of a block with lines as in its Markdown file. */
export function inDocLines(block: DocBlock, diagnostics: string[]): string[] {
  return diagnostics.map((text) =>
    text.replace(/^[^:]+:(\d+):(\d+)/, (_all, line: string, col: string) => `${block.doc}:${block.line + Number(line) - 2}:${col}`),
  );
}

/** JavaScript of a TypeScript block, to run it. */
export function transpile(code: string): string {
  return ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}
