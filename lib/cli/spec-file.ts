/** Read a YAML spec file and validate it; findings carry file:line. */
import { readFileSync } from 'node:fs';
import { loadYaml } from '../spec/load';
import { validateSpec, type Validated } from '../validate';

export function validateSpecFile(file: string): Validated {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return {
      findings: [
        {
          code: 'SPEC_FILE_UNREADABLE',
          severity: 'error',
          path: '',
          message: `cannot read ${file}: ${err.code ?? err.message}`,
          fix: 'check the path of the spec file',
          manual: 'README.md "Writing a spec"',
        },
      ],
    };
  }
  const loaded = loadYaml(text, file);
  if (loaded.findings.length) return { findings: loaded.findings };
  const v = validateSpec(loaded.data);
  return { ...v, findings: v.findings.map((f) => ({ ...f, location: f.location ?? loaded.locate(f.path) })) };
}
