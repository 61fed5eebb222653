import { registerMatchers } from '@nabla/core/testing';
import { registerModuleMatchers } from '@nabla/nn/testing';

registerMatchers();
registerModuleMatchers();
