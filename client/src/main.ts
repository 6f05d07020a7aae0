// One app for the four role pages: the path picks the page, which is loaded on demand so the display
// does not download the desk.
import { createApp, h, type Component } from 'vue'
import { createPinia } from 'pinia'
import { i18n } from './i18n'
import { pageFromPath, type RolePage } from './logic/page'
import Shell from './components/Shell.vue'
import './styles/base.css'

const pages: Record<RolePage, () => Promise<{ default: Component }>> = {
  delegate: () => import('./pages/DelegatePage.vue'),
  desk: () => import('./pages/DeskPage.vue'),
  chair: () => import('./pages/ChairPage.vue'),
  display: () => import('./pages/DisplayPage.vue'),
}

async function mount(): Promise<void> {
  const page = pageFromPath(window.location.pathname)
  document.body.dataset.page = page
  if (page === 'index') {
    const Index = (await import('./pages/IndexPage.vue')).default
    createApp(Index).use(createPinia()).use(i18n).mount('#app')
    return
  }
  // Awaited rather than async so the page renders in the shell's first pass: its stores then bind
  // their socket listeners before the shell opens the connection and the first snapshot arrives.
  const component = (await pages[page]()).default
  createApp({ render: () => h(Shell, { page, component }) }).use(createPinia()).use(i18n).mount('#app')
}

void mount()
