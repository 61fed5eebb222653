// The draw-a-digit page. `pnpm web` serves it, `pnpm web:build` builds it into web/dist.
// @nabla/nn and @nabla/core resolve through the workspace symlinks and their `@nabla/source`
// export condition to their .ts sources, which Vite compiles like the page's own files.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Plugin, defaultClientConditions, defineConfig } from 'vite';

const NODE_BUILTINS = new Set(builtinModules);

// Files allowed to name a Node built-in: they import it lazily inside Node-only functions
// (saveModel/loadModel) that the page never calls.
const NODE_ONLY_FILES = [/\/packages\/nn\/src\/persist\.ts$/];

/**
 * Keeps Node out of the browser bundle. An allowed, lazy import of a built-in gets a stub that
 * throws if it is ever used; any other import of a built-in fails the build, naming the file,
 * instead of Vite's warning and a page that breaks at run time.
 */
function browserOnly(): Plugin {
  const STUB = '\0node-builtin-stub:';
  return {
    name: 'nabla:browser-only',
    enforce: 'pre',
    resolveId(id, importer) {
      const bare = id.startsWith('node:') ? id.slice(5) : id;
      if (!NODE_BUILTINS.has(bare) && !NODE_BUILTINS.has(bare.split('/')[0]!)) return null;
      if (importer !== undefined && NODE_ONLY_FILES.some((re) => re.test(importer))) return STUB + id;
      this.error(`${importer ?? 'the page'} imports the Node built-in '${id}', which does not exist in the browser`);
    },
    load(id) {
      if (!id.startsWith(STUB)) return null;
      const name = JSON.stringify(id.slice(STUB.length));
      return `export default new Proxy({}, { get() { throw new Error(${name} + ' is not available in the browser'); } });`;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the built page works from any folder or sub-path.
  base: './',
  plugins: [browserOnly()],
  resolve: { conditions: ['@nabla/source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
