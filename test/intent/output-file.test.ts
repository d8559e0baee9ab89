import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { OutputFile } from '../../src';

class Text extends OutputFile {
  public constructor(scope: Construct, id: string, filePath: string, private readonly text: () => string) {
    super(scope, id, { path: filePath });
  }
  public renderContents(): string {
    return this.text();
  }
}

describe('OutputFile', () => {
  test('synthAll writes every file below the output directory, rendered at synthesis time', () => {
    const app = Testing.app();
    const chart = Testing.chart();
    let value = 'early';
    new Text(app, 'b', 'vault/production/b.hcl', () => `b=${value}`);
    new Text(chart, 'a', 'helm/a-values.yaml', () => 'a: 1\n');
    value = 'late';
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'output-file-'));
    expect(OutputFile.synthAll(app, outdir)).toEqual(['vault/production/b.hcl']);
    expect(fs.readFileSync(path.join(outdir, 'vault/production/b.hcl'), 'utf8')).toBe('b=late');
    expect(OutputFile.of(chart).map(f => f.relativePath)).toEqual(['helm/a-values.yaml']);
  });

  test('defaults to a folder beside the manifests folder, never inside it', () => {
    const app = Testing.app();
    new Text(app, 'f', 'x/y.yaml', () => 'y: 1\n');
    expect(OutputFile.synthAll(app)).toEqual(['x/y.yaml']);
    expect(fs.readFileSync(path.join(`${app.outdir}-files`, 'x/y.yaml'), 'utf8')).toBe('y: 1\n');
    expect(fs.existsSync(path.join(app.outdir, 'x'))).toBe(false);
  });

  test('refuses a folder inside the manifests folder (cdk8s synth --stdout would print its YAML files)', () => {
    const app = Testing.app();
    new Text(app, 'f', 'helm/values.yaml', () => 'a: 1\n');
    expect(() => OutputFile.synthAll(app, app.outdir)).toThrow(/inside the app's manifests folder .*cdk8s synth --stdout/);
    expect(() => OutputFile.synthAll(app, path.join(app.outdir, 'files'))).toThrow(/inside the app's manifests folder/);
  });

  test.each(['file.yaml', '', '/abs/file', 'a/../b', 'a//b', './a/b', 'a/.hidden', 'a b/c'])('rejects path %j', bad => {
    const app = Testing.app();
    expect(() => new Text(app, 'f', bad, () => '')).toThrow(/^\[f\] invalid path .*: must be a relative path in a sub-folder/);
  });

  test('two files with one path are an error', () => {
    const app = Testing.app();
    new Text(app, 'one', 'vault/p.hcl', () => '');
    new Text(app, 'two', 'vault/p.hcl', () => '');
    expect(() => OutputFile.synthAll(app)).toThrow(/\[two\] invalid path "vault\/p.hcl": one already writes this file/);
  });
});
